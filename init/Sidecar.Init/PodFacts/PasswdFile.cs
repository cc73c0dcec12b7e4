namespace Sidecar.Init.PodFacts;

/// <summary>Looks a user's uid up in /etc/passwd: istio-iptables defaults -u to the uid of $ENVOY_USER (istio-proxy).</summary>
internal static class PasswdFile
{
    public const string DefaultPath = "/etc/passwd";

    public static string? FindUid(string user, string path = DefaultPath)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!File.Exists(path))
        {
            return null;
        }
        foreach (var line in File.ReadLines(path))
        {
            // name:password:uid:gid:gecos:home:shell
            var fields = line.Split(':');
            if (fields.Length > 2 && fields[0] == user)
            {
                return fields[2];
            }
        }
        return null;
    }
}
