using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sidecar.Testing.Netns;

/// <summary>
/// A named network namespace (`ip netns add`) with loopback up, deleted on dispose. Commands run inside it through
/// `ip netns exec`, optionally as another uid/gid (`setpriv`); sockets are created inside it from a dedicated thread
/// that enters it with setns, so in-process listeners and clients live in the namespace.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private int _disposed;

    private NetworkNamespace(string name) => Name = name;

    /// <summary>The namespace name, also the file under /var/run/netns.</summary>
    public string Name { get; }

    public string Path => "/var/run/netns/" + Name;

    /// <summary>Creates a fresh namespace; <paramref name="hint"/> only makes the name readable.</summary>
    public static NetworkNamespace Create(string hint = "ns")
    {
        var name = NamespaceRegistry.NewName(hint);
        HostCommand.Run(["ip", "netns", "add", name]).EnsureSuccess();
        var created = new NetworkNamespace(name);
        try
        {
            created.Exec("ip", "link", "set", "lo", "up").EnsureSuccess();
        }
        catch
        {
            created.Dispose();
            throw;
        }
        return created;
    }

    /// <summary>Runs a command inside the namespace, as the test process' user.</summary>
    public CommandOutput Exec(params string[] command) => Exec(command, environment: null);

    /// <summary>Runs a command inside the namespace with extra (or, with a null value, removed) environment variables.</summary>
    public CommandOutput Exec(IReadOnlyList<string> command, IReadOnlyDictionary<string, string?>? environment, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        return HostCommand.Run(InNamespace(command), environment, timeout);
    }

    /// <summary>Runs a command inside the namespace as <paramref name="uid"/>:<paramref name="gid"/> with no supplementary groups.</summary>
    public CommandOutput ExecAs(int uid, int gid, params string[] command) => Exec(AsUser(uid, gid, command), environment: null);

    /// <summary>Starts a long-running command inside the namespace; the caller stops it.</summary>
    public Process Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string?>? environment = null) =>
        HostCommand.Start(InNamespace(command), environment);

    /// <summary>`setpriv` arguments that run <paramref name="command"/> as another user.</summary>
    public static string[] AsUser(int uid, int gid, IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return ["setpriv", "--reuid", uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--regid", gid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--clear-groups", "--", .. command];
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a new thread that has entered this namespace. Sockets it creates belong to
    /// the namespace for their whole life, whichever thread uses them later.
    /// </summary>
    public T Enter<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var original = File.OpenHandle("/proc/thread-self/ns/net");
                using var target = File.OpenHandle(Path);
                SetNamespace(target);
                try
                {
                    result = action();
                }
                finally
                {
                    SetNamespace(original);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        {
            IsBackground = true,
            Name = "netns " + Name,
        };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"failed inside network namespace {Name}: {failure.Message}", failure);
        }
        return result;
    }

    /// <summary>A TCP socket created in this namespace (not yet bound or connected).</summary>
    public Socket CreateTcpSocket(AddressFamily family = AddressFamily.InterNetwork) =>
        Enter(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));

    /// <summary>Opens a TCP connection from this namespace, as the test process' user.</summary>
    public async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = CreateTcpSocket(endpoint.AddressFamily);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        HostCommand.Run(["ip", "netns", "del", Name]);
        NamespaceRegistry.Forget(Name);
    }

    public override string ToString() => Name;

    private string[] InNamespace(IReadOnlyList<string> command) => ["ip", "netns", "exec", Name, .. command];

    private void SetNamespace(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (NetnsSyscalls.setns((int)handle.DangerousGetHandle(), NetnsSyscalls.CloneNewNet) != 0)
        {
            throw new InvalidOperationException($"setns into {Name} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
