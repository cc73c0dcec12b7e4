namespace Sidecar.Init.Configuration;

/// <summary>
/// Which owner groups' outbound traffic is captured (ISTIO_OUTBOUND_OWNER_GROUPS / ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE):
/// every group except <see cref="Values"/>, or only <see cref="Values"/>. Mirrors Istio's config.InterceptFilter.
/// </summary>
internal sealed record InterceptFilter(IReadOnlyList<string> Values, bool Except)
{
    /// <summary>An include list of "*" means all groups but the excluded ones; any other include list is an allow list.</summary>
    public static InterceptFilter Parse(string include, string exclude) =>
        include == "*"
            ? new InterceptFilter(ListText.Split(exclude), Except: true)
            : new InterceptFilter(ListText.Split(include), Except: false);
}
