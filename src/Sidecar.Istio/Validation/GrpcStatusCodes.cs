namespace Sidecar.Istio.Validation;

/// <summary>gRPC status names Istio accepts in <c>fault.abort.grpcStatus</c> (<c>pkg/util/grpc</c>), with their codes.</summary>
internal static class GrpcStatusCodes
{
    private static readonly Dictionary<string, int> Codes = new(StringComparer.Ordinal)
    {
        ["OK"] = 0,
        ["CANCELLED"] = 1,
        ["UNKNOWN"] = 2,
        ["INVALID_ARGUMENT"] = 3,
        ["DEADLINE_EXCEEDED"] = 4,
        ["NOT_FOUND"] = 5,
        ["ALREADY_EXISTS"] = 6,
        ["PERMISSION_DENIED"] = 7,
        ["RESOURCE_EXHAUSTED"] = 8,
        ["FAILED_PRECONDITION"] = 9,
        ["ABORTED"] = 10,
        ["OUT_OF_RANGE"] = 11,
        ["UNIMPLEMENTED"] = 12,
        ["INTERNAL"] = 13,
        ["UNAVAILABLE"] = 14,
        ["DATA_LOSS"] = 15,
        ["UNAUTHENTICATED"] = 16,
    };

    public static bool TryGetCode(string name, out int code) => Codes.TryGetValue(name, out code);
}
