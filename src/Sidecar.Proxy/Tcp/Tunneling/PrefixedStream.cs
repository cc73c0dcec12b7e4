namespace Sidecar.Proxy.Tcp.Tunneling;

/// <summary>A stream whose first bytes were already read (a CONNECT tunnel's bytes that came with the proxy's answer).</summary>
internal sealed class PrefixedStream(Stream inner, byte[] prefix) : AsyncOnlyStream
{
    private int _prefixRead;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefixRead < prefix.Length)
        {
            var count = Math.Min(buffer.Length, prefix.Length - _prefixRead);
            prefix.AsSpan(_prefixRead, count).CopyTo(buffer.Span);
            _prefixRead += count;
            return ValueTask.FromResult(count);
        }

        return inner.ReadAsync(buffer, cancellationToken);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
}
