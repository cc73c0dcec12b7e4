namespace Sidecar.Testing;

/// <summary>A temporary directory of Istio YAML for a sidecar's <c>--config</c>; removed on dispose.</summary>
public sealed class ConfigDirectory : IDisposable
{
    public ConfigDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sidecar-config-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Writes a file atomically (temp file, then rename), as editors and config tools do.</summary>
    public string Write(string fileName, string yaml)
    {
        var target = System.IO.Path.Combine(Path, fileName);
        var temp = System.IO.Path.Combine(Path, $".{fileName}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temp, yaml);
        File.Move(temp, target, overwrite: true);
        return target;
    }

    public void Delete(string fileName) => File.Delete(System.IO.Path.Combine(Path, fileName));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
