using System.Buffers.Binary;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Tests.Upstream;

/// <summary>
/// The server's SETTINGS as the HTTP/2 pool reads them under Istio's <c>connectionPool.http.maxConcurrentStreams</c>
/// (Envoy's <c>http2_protocol_options.max_concurrent_streams</c>): SETTINGS_MAX_CONCURRENT_STREAMS capped, added to a
/// first SETTINGS that has none, every other frame and byte unchanged however the reads split them.
/// </summary>
public sealed class Http2StreamLimitTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task A_first_SETTINGS_without_a_limit_gets_the_cap_and_other_frames_pass_unchanged(int bytesPerRead)
    {
        var data = Frame(0x0, 0x1, 1, [.. Enumerable.Range(0, 300).Select(i => (byte)i)]);
        var server = Concat(
            Frame(0x4, 0, 0, Setting(0x4, 65535)), // SETTINGS: INITIAL_WINDOW_SIZE only
            Frame(0x4, 0x1, 0, []), // SETTINGS ACK
            data);

        var read = await ReadAllAsync(new Http2StreamLimit(new Trickle(server, bytesPerRead), 2));

        var expected = Concat(Frame(0x4, 0, 0, Concat(Setting(0x4, 65535), Setting(0x3, 2))), Frame(0x4, 0x1, 0, []), data);
        Assert.Equal(expected, read);
    }

    [Fact]
    public async Task A_servers_higher_limit_is_capped_a_lower_one_kept_and_later_SETTINGS_without_it_left_alone()
    {
        var server = Concat(
            Frame(0x4, 0, 0, Concat(Setting(0x3, 100), Setting(0x4, 1 << 20))),
            Frame(0x8, 0, 0, [0, 0, 0x10, 0]), // WINDOW_UPDATE
            Frame(0x4, 0, 0, Setting(0x1, 8192)), // a later SETTINGS with no limit: unchanged
            Frame(0x4, 0, 0, Setting(0x3, 1))); // a later lower limit: kept

        var read = await ReadAllAsync(new Http2StreamLimit(new Trickle(server, 5), 10));

        var expected = Concat(
            Frame(0x4, 0, 0, Concat(Setting(0x3, 10), Setting(0x4, 1 << 20))),
            Frame(0x8, 0, 0, [0, 0, 0x10, 0]),
            Frame(0x4, 0, 0, Setting(0x1, 8192)),
            Frame(0x4, 0, 0, Setting(0x3, 1)));
        Assert.Equal(expected, read);
    }

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame, 9);
        return frame;
    }

    private static byte[] Setting(ushort id, uint value)
    {
        var setting = new byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(setting, id);
        BinaryPrimitives.WriteUInt32BigEndian(setting.AsSpan(2), value);
        return setting;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var all = new MemoryStream();
        var buffer = new byte[3];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    /// <summary>A connection that hands over its bytes a few at a time, as TCP may.</summary>
    private sealed class Trickle(byte[] bytes, int perRead) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, perRead)], cancellationToken);
    }
}
