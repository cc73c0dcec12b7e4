using System.Buffers.Binary;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// An upstream HTTP/2 connection as the pool reads it, with the server's SETTINGS_MAX_CONCURRENT_STREAMS capped at the
/// cluster's <c>max_concurrent_streams</c> (Istio's <c>connectionPool.http.maxConcurrentStreams</c>): Envoy's codec
/// opens no more streams on a connection than that, and its pool opens another connection for the next request.
/// SocketsHttpHandler takes its per-connection limit from the server's SETTINGS alone (and opens another connection
/// when it is reached), so the limit is put there: each SETTINGS frame the server sends carries at most the cap, and
/// its first one carries the cap where the server named no limit. Every other byte passes unchanged; writes too.
/// The write that carries the client's connection preface completes only once the connection has taken in the
/// server's first SETTINGS, so the pool knows the limit before it reserves the connection's first streams (it would
/// otherwise assume 100 until then, as SocketsHttpHandler does).
/// </summary>
/// <remarks>Written by hand: SocketsHttpHandler has no client-side stream limit.</remarks>
internal sealed class Http2StreamLimit : AsyncOnlyStream
{
    private const int FrameHeaderLength = 9;
    private const byte SettingsType = 0x4;
    private const byte AckFlag = 0x1;
    private const ushort MaxConcurrentStreams = 0x3;

    private readonly Stream _inner;
    private readonly uint _limit;
    private readonly byte[] _readBuffer = new byte[16 * 1024];
    private readonly byte[] _frameHeader = new byte[FrameHeaderLength];

    // One reader of the connection at a time: the connection's read loop, or the preface's write waiting for SETTINGS.
    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly TaskCompletionSource _firstSettingsTaken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _output = new byte[16 * 1024];
    private int _outputStart;
    private int _outputEnd;
    private int _headerFill;
    private int _passThrough;
    private byte[]? _settings;
    private int _settingsFill;
    private bool _firstSettingsSeen;
    private long _firstSettingsEnd;
    private long _emitted;
    private long _drained;
    private bool _prefaceWritten;
    private int _activeReads;

    public Http2StreamLimit(Stream inner, uint limit)
    {
        _inner = inner;
        _limit = limit;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _activeReads);
        NoteReaderReturned();
        await _reading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (_outputEnd == _outputStart)
            {
                var read = await _inner.ReadAsync(_readBuffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    _firstSettingsTaken.TrySetResult();
                    return 0;
                }

                Process(_readBuffer.AsSpan(0, read));
            }

            return Drain(buffer.Span);
        }
        catch
        {
            _firstSettingsTaken.TrySetResult();
            throw;
        }
        finally
        {
            _reading.Release();
            Interlocked.Decrement(ref _activeReads);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (!_prefaceWritten)
        {
            _prefaceWritten = true;
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (Volatile.Read(ref _activeReads) > 0)
            {
                // The connection's read loop is running (it starts before the preface is written): wait for it to come
                // back for more after the first SETTINGS, which it has then processed.
                await _firstSettingsTaken.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ReadFirstSettingsAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    // The semaphore is left to the collector: a read still in flight releases it after the connection is gone.
    public override ValueTask DisposeAsync() => _inner.DisposeAsync();

    /// <summary>Reads until the server's first SETTINGS frame has been taken in (held for the connection's reads).</summary>
    private async ValueTask ReadFirstSettingsAsync(CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!_firstSettingsSeen)
            {
                var read = await _inner.ReadAsync(_readBuffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                Process(_readBuffer.AsSpan(0, read));
            }
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>A read after the whole first SETTINGS was handed over means the connection has processed it.</summary>
    private void NoteReaderReturned()
    {
        if (Volatile.Read(ref _firstSettingsSeen) && Interlocked.Read(ref _drained) >= Interlocked.Read(ref _firstSettingsEnd))
        {
            _firstSettingsTaken.TrySetResult();
        }
    }

    private int Drain(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _outputEnd - _outputStart);
        _output.AsSpan(_outputStart, count).CopyTo(destination);
        _outputStart += count;
        Interlocked.Add(ref _drained, count);
        if (_outputStart == _outputEnd)
        {
            _outputStart = _outputEnd = 0;
        }

        return count;
    }

    /// <summary>Follows the frames in what the server sent: frames pass through, a SETTINGS frame is held until whole, then rewritten.</summary>
    private void Process(ReadOnlySpan<byte> input)
    {
        while (!input.IsEmpty)
        {
            if (_passThrough > 0)
            {
                var count = Math.Min(_passThrough, input.Length);
                Emit(input[..count]);
                _passThrough -= count;
                input = input[count..];
                continue;
            }

            if (_settings is not null)
            {
                var count = Math.Min(_settings.Length - _settingsFill, input.Length);
                input[..count].CopyTo(_settings.AsSpan(_settingsFill));
                _settingsFill += count;
                input = input[count..];
                if (_settingsFill == _settings.Length)
                {
                    EmitSettings();
                }

                continue;
            }

            var headerBytes = Math.Min(FrameHeaderLength - _headerFill, input.Length);
            input[..headerBytes].CopyTo(_frameHeader.AsSpan(_headerFill));
            _headerFill += headerBytes;
            input = input[headerBytes..];
            if (_headerFill < FrameHeaderLength)
            {
                continue;
            }

            _headerFill = 0;
            var length = (_frameHeader[0] << 16) | (_frameHeader[1] << 8) | _frameHeader[2];
            if (_frameHeader[3] == SettingsType && (_frameHeader[4] & AckFlag) == 0 && length % 6 == 0)
            {
                _settings = new byte[length];
                _settingsFill = 0;
                if (length == 0)
                {
                    EmitSettings();
                }
            }
            else
            {
                Emit(_frameHeader);
                _passThrough = length;
            }
        }
    }

    /// <summary>The held SETTINGS frame, its MAX_CONCURRENT_STREAMS capped (added to the first frame when absent).</summary>
    private void EmitSettings()
    {
        var settings = _settings!;
        _settings = null;
        var found = false;
        for (var at = 0; at < settings.Length; at += 6)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(settings.AsSpan(at)) == MaxConcurrentStreams)
            {
                found = true;
                if (BinaryPrimitives.ReadUInt32BigEndian(settings.AsSpan(at + 2)) > _limit)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(settings.AsSpan(at + 2), _limit);
                }
            }
        }

        // A server's first SETTINGS without the parameter means no limit: the cap is the limit.
        var added = !found && !_firstSettingsSeen;
        var first = !_firstSettingsSeen;
        var length = settings.Length + (added ? 6 : 0);
        Span<byte> header = stackalloc byte[FrameHeaderLength];
        _frameHeader.CopyTo(header);
        header[0] = (byte)(length >> 16);
        header[1] = (byte)(length >> 8);
        header[2] = (byte)length;
        Emit(header);
        Emit(settings);
        if (added)
        {
            Span<byte> setting = stackalloc byte[6];
            BinaryPrimitives.WriteUInt16BigEndian(setting, MaxConcurrentStreams);
            BinaryPrimitives.WriteUInt32BigEndian(setting[2..], _limit);
            Emit(setting);
        }

        if (first)
        {
            Interlocked.Exchange(ref _firstSettingsEnd, _emitted);
            Volatile.Write(ref _firstSettingsSeen, true);
        }
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        if (_outputEnd + bytes.Length > _output.Length)
        {
            var grown = new byte[Math.Max(_output.Length * 2, _outputEnd - _outputStart + bytes.Length)];
            _output.AsSpan(_outputStart, _outputEnd - _outputStart).CopyTo(grown);
            _outputEnd -= _outputStart;
            _outputStart = 0;
            _output = grown;
        }

        bytes.CopyTo(_output.AsSpan(_outputEnd));
        _outputEnd += bytes.Length;
        _emitted += bytes.Length;
    }
}
