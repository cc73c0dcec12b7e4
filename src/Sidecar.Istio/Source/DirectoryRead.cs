using Sidecar.Istio.Parsing;
using Sidecar.Istio.Translation;

namespace Sidecar.Istio;

/// <summary>One read of the config directory: what parsed, its translation when everything parsed, and when.</summary>
internal sealed record DirectoryRead(ParseResult Parsed, TranslationResult? Translation, DateTimeOffset At);
