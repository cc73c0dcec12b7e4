using System.Globalization;

namespace Sidecar.Proxy.Http;

/// <summary>Attempt numbers as header text, made once for the numbers retries reach so no request formats one.</summary>
internal static class AttemptNumbers
{
    private static readonly string[] Texts = [.. Enumerable.Range(0, 16).Select(n => n.ToString(CultureInfo.InvariantCulture))];

    public static string Text(int attempt) => (uint)attempt < (uint)Texts.Length ? Texts[attempt] : attempt.ToString(CultureInfo.InvariantCulture);
}
