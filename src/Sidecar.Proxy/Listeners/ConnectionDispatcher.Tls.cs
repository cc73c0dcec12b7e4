using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Security;
using Sidecar.Proxy.Tcp;

namespace Sidecar.Proxy.Listeners;

/// <summary>Inbound mTLS: terminate TLS on chains that ask for it, record the peer, then HTTP or TCP as usual.</summary>
internal sealed partial class ConnectionDispatcher
{
    /// <summary>Terminates the downstream TLS; true when an HTTP connection was handed to Kestrel (counted until it closes).</summary>
    private async Task<bool> TerminateTlsAsync(ProxyListener listener, Socket socket, IPEndPoint? original, Decision decision, DataPlaneSnapshot snapshot)
    {
        var local = socket.LocalEndPoint;
        var remote = socket.RemoteEndPoint;
        var accepted = await _downstreamTls.AcceptAsync(socket, decision.Tls!, HandshakeTimeout).ConfigureAwait(false);
        if (accepted is not var (stream, peer))
        {
            // Handshake failed: no or untrusted client certificate, wrong trust domain, or no workload certificate yet.
            Log.TlsRefused(_logger, listener.Name, remote?.ToString() ?? "-");
            socket.Dispose();
            return false;
        }

        if (decision.Http is { } http)
        {
            var connection = new TlsConnectionContext(stream, local, remote);
            var protocols = IstioAlpn.IsHttp2(stream.NegotiatedApplicationProtocol) ? HttpProtocols.Http2 : HttpProtocols.Http1;
            var wire = protocols == HttpProtocols.Http1 ? new WireBytes() : null;
            var input = wire is null ? InputEndWatcher.Watch(connection) : null;
            if (wire is not null)
            {
                connection.Transport = wire.Count(connection.Transport);
            }

            var proxyConnection = new ProxyConnection(listener, original)
            {
                HttpChain = http,
                IsMutualTls = peer is not null,
                PeerPrincipal = peer?.Principal,
                ServerName = decision.Sniff.ClientHello?.ServerName,
                WireBytes = wire,
                Input = input,
            };
            connection.Items[ProxyConnection.Key] = proxyConnection;
            connection.Items[MutualTlsPeer.Key] = peer;
            if (!_relay.TryRelay(connection, protocols))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return false;
            }

            var active = _active;
            var relayed = _relayed;
            relayed.Add(connection, proxyConnection);
            connection.Closed = () =>
            {
                active.Closed();
                relayed.Remove(connection.ConnectionId);
                proxyConnection.Close();
            };
            return true;
        }

        if (decision.Tcp is { } tcp && await AllowsTcpAsync(listener, socket, original, snapshot, peer, decision.Sniff.ClientHello?.ServerName).ConfigureAwait(false))
        {
            Model.PeerMetadata? metadata;
            try
            {
                using var deadline = new CancellationTokenSource(HandshakeTimeout, _time);
                metadata = await TcpMetadataExchange.ExchangeAsync(stream, _downstreamTls.Identity.TcpPreamble, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or OperationCanceledException)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                return false;
            }

            await _tcp.RunAsync(new DownstreamStream(stream, socket), tcp, snapshot, original, listener.Direction, peer, metadata, decision.Sniff.ClientHello?.ServerName).ConfigureAwait(false);
            return false;
        }

        await stream.DisposeAsync().ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Inbound TCP connections pass the workload's AuthorizationPolicies (HTTP-only fields never match): a CUSTOM
    /// policy's check first (Envoy's network ext_authz, gRPC providers only, as in Istio), then DENY and ALLOW.
    /// </summary>
    private async ValueTask<bool> AllowsTcpAsync(ProxyListener listener, Socket socket, IPEndPoint? original, DataPlaneSnapshot? snapshot, MutualTlsPeer? peer, string? serverName)
    {
        if (snapshot is null || listener.Direction != RequestDirection.Inbound || !(snapshot.Authorization.HasPolicies || snapshot.Authorization.HasCustom))
        {
            return true;
        }

        var local = socket.LocalEndPoint as IPEndPoint;
        var destinationPort = original?.Port ?? local?.Port ?? 0;
        var remote = socket.RemoteEndPoint as IPEndPoint;
        var source = remote?.Address;
        var request = new Security.Authorization.AuthorizationRequest(peer?.Principal, source, destinationPort, null,
            destinationAddress: original?.Address ?? local?.Address, serverName: serverName);
        if (snapshot.ExtAuthz is { } extAuthz && snapshot.Authorization.MatchesCustom(request)
            && !await extAuthz.CheckConnectionAsync(remote, original ?? local, peer?.Principal, snapshot.Clusters.GetValueOrDefault(extAuthz.Config.Cluster), Random.Shared).ConfigureAwait(false))
        {
            Log.TcpDenied(_logger, listener.Name, source?.ToString() ?? "-", extAuthz.Config.Provider);
            return false;
        }

        if (!snapshot.Authorization.HasPolicies)
        {
            return true;
        }

        var decision = snapshot.Authorization.Evaluate(request);
        if (!decision.Allowed)
        {
            Log.TcpDenied(_logger, listener.Name, source?.ToString() ?? "-", decision.PolicyName ?? "-");
        }

        return decision.Allowed;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 313, Level = LogLevel.Debug, Message = "Listener {Name}: TLS handshake with {Peer} refused")]
        public static partial void TlsRefused(ILogger logger, string name, string peer);

        [LoggerMessage(EventId = 314, Level = LogLevel.Debug, Message = "Listener {Name}: TCP connection from {Source} denied by {Policy}")]
        public static partial void TcpDenied(ILogger logger, string name, string source, string policy);
    }
}
