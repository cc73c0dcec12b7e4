using Sidecar.LoadHarness.Comparison;

namespace Sidecar.LoadHarness.Tests.Comparison;

public sealed class ComparisonMeshTests
{
    private static string[] Documents(string yaml) =>
        yaml.Split("\n---\n", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void The_client_config_is_the_echo_service_then_its_routes_as_separate_documents()
    {
        var directory = Path.Combine(Path.GetTempPath(), "comparison-mesh-" + Guid.NewGuid().ToString("N"));
        try
        {
            ComparisonMesh.WriteClient(directory, "127.0.0.1", 18080, otherServices: 0);
            var documents = Documents(File.ReadAllText(Path.Combine(directory, "echo.yaml")));

            Assert.Equal(["kind: ServiceEntry", "kind: DestinationRule", "kind: VirtualService"], documents.Select(d => d.Split('\n')[1].Trim()));
            Assert.Contains("ports: {http: 18080}", documents[0], StringComparison.Ordinal);
            Assert.Contains("perTryTimeout: 2s,", documents[2], StringComparison.Ordinal);
            Assert.Contains("timeout: 10s", documents[2], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_client_config_command_writes_the_client_config_with_the_endpoint_and_timeouts_given()
    {
        var directory = Path.Combine(Path.GetTempPath(), "comparison-mesh-" + Guid.NewGuid().ToString("N"));
        try
        {
            var exit = Sidecar.LoadHarness.Cli.LoadCommandLine.Create().Parse(
                ["compare-client-config", "--dir", directory, "--endpoint", "127.0.0.1:18099", "--other-services", "3", "--per-try-timeout", "30s", "--timeout", "60s"]).Invoke();

            Assert.Equal(0, exit);
            var documents = Documents(File.ReadAllText(Path.Combine(directory, "echo.yaml")));
            Assert.Contains("address: 127.0.0.1", documents[0], StringComparison.Ordinal);
            Assert.Contains("ports: {http: 18099}", documents[0], StringComparison.Ordinal);
            Assert.Contains("perTryTimeout: 30s,", documents[2], StringComparison.Ordinal);
            Assert.Contains("timeout: 60s", documents[2], StringComparison.Ordinal);
            Assert.Equal(3 * 2, Documents(File.ReadAllText(Path.Combine(directory, "others.yaml"))).Length);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_routes_take_the_timeouts_they_are_given()
    {
        var routes = ComparisonMesh.EchoRoutes(perTryTimeout: "30s", timeout: "60s");

        Assert.Equal(2, Documents(routes).Length);
        Assert.Contains("perTryTimeout: 30s,", routes, StringComparison.Ordinal);
        Assert.Contains("timeout: 60s", routes, StringComparison.Ordinal);
        Assert.DoesNotContain("10s", routes, StringComparison.Ordinal);
    }
}
