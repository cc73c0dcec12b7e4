using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Sidecar.Istio.Parsing;

/// <summary>
/// Presents the next document of a multi-document YAML stream as a stream of its own, so that
/// <see cref="YamlDotNet.RepresentationModel.YamlStream"/> builds one document's node tree at a time: a file of a
/// thousand resources never holds a thousand trees at once. The inner parser must stand on a document start.
/// </summary>
internal sealed class SingleDocumentParser(IParser inner) : IParser
{
    private static readonly StreamStart Start = new();
    private static readonly StreamEnd End = new();
    private State _state = State.BeforeStart;

    private enum State
    {
        BeforeStart,
        AtStart,
        InDocument,
        AtEnd,
    }

    public ParsingEvent? Current => _state switch
    {
        State.AtStart => Start,
        State.InDocument => inner.Current,
        State.AtEnd => End,
        _ => null,
    };

    public bool MoveNext()
    {
        switch (_state)
        {
            case State.BeforeStart:
                _state = State.AtStart;
                return true;
            case State.AtStart:
                // The inner parser already stands on this document's start.
                _state = State.InDocument;
                return true;
            case State.InDocument:
                if (inner.Current is DocumentEnd)
                {
                    inner.MoveNext();
                    _state = State.AtEnd;
                    return true;
                }

                return inner.MoveNext();
            default:
                return false;
        }
    }
}
