namespace Sidecar.Bookinfo.Outbound;

/// <summary>
/// What a call to another service returned: its status (0 when no response came: refused, reset or timed out),
/// its body, and the <c>x-bookinfo-workload</c> that answered.
/// </summary>
internal readonly record struct ServiceResponse(int Status, byte[] Body, string? Workload)
{
    public static ServiceResponse NoResponse { get; } = new(0, [], null);

    public bool IsSuccess => Status is >= 200 and < 300;
}
