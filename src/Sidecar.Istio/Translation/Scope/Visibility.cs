namespace Sidecar.Istio.Translation.Scope;

/// <summary>Istio's <c>exportTo</c> semantics: <c>*</c> everyone (also when empty), <c>.</c> the resource's own
/// namespace, <c>~</c> no one, or named namespaces.</summary>
internal static class Visibility
{
    public static bool IsVisible(IReadOnlyList<string> exportTo, string resourceNamespace, string proxyNamespace)
    {
        if (exportTo.Count == 0)
        {
            return true;
        }

        foreach (var entry in exportTo)
        {
            if (entry == "*" || (entry == "." && resourceNamespace == proxyNamespace) || entry == proxyNamespace)
            {
                return true;
            }
        }

        return false;
    }
}
