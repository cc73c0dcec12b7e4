namespace Sidecar.Init.Tests.Conformance;

/// <summary>
/// Locates the golden outputs of Istio's own istio-iptables: shared/testdata/istio-iptables beside the repository
/// (the folder holding Sidecar.sln), or beside one of its parents when the repository is a worktree further down.
/// </summary>
internal static class IstioGoldenFiles
{
    public const string RelativePath = "shared/testdata/istio-iptables";

    public static readonly string? Directory = Find();

    public static string SkipReason =>
        $"the istio-iptables golden files ({RelativePath} beside the repository root) are absent on this machine";

    public static IEnumerable<string> CaseNames() =>
        Directory is null
            ? []
            : System.IO.Directory.GetFiles(Directory, "*.golden").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal);

    private static string? Find()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "Sidecar.sln")))
        {
            repository = repository.Parent;
        }
        for (var beside = repository?.Parent; beside is not null; beside = beside.Parent)
        {
            var candidate = Path.Combine(beside.FullName, RelativePath);
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}

/// <summary>A theory over the golden files, skipped (saying why) only when the folder is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class IstioGoldenTheoryAttribute : TheoryAttribute
{
    public IstioGoldenTheoryAttribute()
    {
        if (IstioGoldenFiles.Directory is null)
        {
            Skip = IstioGoldenFiles.SkipReason;
        }
    }
}
