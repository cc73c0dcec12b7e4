namespace Sidecar.Init.Processes;

/// <summary>Finds a program on PATH the way exec does, to fail early when a needed one is missing.</summary>
internal static class ExecutablePath
{
    public static string? Find(string name, string? path)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(name) ? name : null;
        }
        foreach (var directory in (path ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
