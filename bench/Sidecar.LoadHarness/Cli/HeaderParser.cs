namespace Sidecar.LoadHarness.Cli;

/// <summary>Parses a <c>--header 'Name: value'</c> argument, as curl and wrk take it.</summary>
internal static class HeaderParser
{
    public static bool TryParse(string? text, out KeyValuePair<string, string> header)
    {
        header = default;
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (text is null || colon <= 0)
        {
            return false;
        }

        var name = text[..colon].Trim();
        if (name.Length == 0 || name.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }

        header = new KeyValuePair<string, string>(name, text[(colon + 1)..].Trim());
        return true;
    }
}
