using Microsoft.Extensions.Logging;
using Sidecar.Model;

namespace Sidecar.Istio.Tests.Source;

/// <summary>The source against real files in a temporary directory, watched with the system clock.</summary>
public sealed class FileConfigSourceTests : IDisposable
{
    // How long a test waits for a reload it caused: generous, as tests share the machine with every other test
    // assembly; the watcher itself reloads 150 ms after the last change.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private const string ReviewsHost = "reviews.default.svc.cluster.local";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("istio-files-");
    private readonly ProxyConfigStore _store = new();
    private readonly RecordingLogger<FileConfigSource> _logger = new();

    public FileConfigSourceTests()
    {
        Write("services.yaml", Bookinfo.Services);
        Write("destination-rules.yaml", Bookinfo.DestinationRules);
        Write("reviews.yaml", Bookinfo.ReviewsJason);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task Start_loads_the_directory_before_returning()
    {
        using var source = NewSource();
        await source.StartAsync(CancellationToken.None);

        Assert.NotNull(_store.Current);
        Assert.Equal(1, _store.PushCount);
        Assert.Equal(_directory.FullName, _store.Current.Origin.Location);
        Assert.Equal(2, ReviewsRoutes(_store.Current).Count);
        Assert.Contains(_logger.Entries, e => e.Id.Id == 1100 && e.Message.Contains(_store.Current.Version, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_early_read_is_what_start_publishes_and_later_reloads_read_the_directory_again()
    {
        var options = FileConfigSource.WithEarlyRead(new FileConfigSourceOptions { Directory = _directory.FullName, Workload = TranslationFixture.Productpage }, TimeProvider.System);
        await options.EarlyRead!;
        // Written after the early read finished: start must publish what was read, not read again.
        Write("reviews.yaml", Bookinfo.ReviewsJason.Replace("exact: jason", "exact: mike", StringComparison.Ordinal));
        using var source = new FileConfigSource(options, _store, _logger, TimeProvider.System);

        await source.StartAsync(CancellationToken.None);
        Assert.Contains("jason", ReviewsRouteHeaderValues(_store.Current!));
        Assert.Empty(source.Reload());

        Assert.Equal(2, _store.PushCount);
        Assert.Contains("mike", ReviewsRouteHeaderValues(_store.Current!));
    }

    [Fact]
    public async Task A_changed_virtual_service_is_published_without_a_restart()
    {
        using var source = NewSource();
        await source.StartAsync(CancellationToken.None);
        var published = NextPublished(c => ReviewsRoutes(c).Count == 1);

        Write("reviews.yaml", Bookinfo.ReviewsJason.Replace("""
              - match:
                - headers:
                    end-user:
                      exact: jason
                route:
                - destination: {host: reviews, subset: v2}
            """, "", StringComparison.Ordinal));

        var config = await published.WaitAsync(Deadline);
        Assert.Equal($"outbound|9080|v1|{ReviewsHost}", ReviewsRoutes(config)[0].Route!.Clusters[0].Cluster);
        Assert.Same(config, _store.Current);
    }

    [Fact]
    public async Task An_invalid_file_is_refused_with_its_name_and_the_last_good_snapshot_stays()
    {
        using var source = NewSource();
        await source.StartAsync(CancellationToken.None);
        var good = _store.Current!;
        var rejected = new TaskCompletionSource<ConfigRejection>(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.Rejected += r => rejected.TrySetResult(r);

        Write("ratings.yaml", Bookinfo.RatingsDelayForJason.Replace("fixedDelay: 7s", "fixedDelay: 7 seconds", StringComparison.Ordinal));

        var rejection = await rejected.Task.WaitAsync(Deadline);
        var error = Assert.Single(rejection.Errors);
        Assert.Equal("ratings.yaml", error.File);
        Assert.Equal("VirtualService default/ratings", error.Resource);
        Assert.Equal("spec.http[0].fault.delay.fixedDelay", error.Field);
        Assert.Same(good, _store.Current);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("ratings.yaml: VirtualService default/ratings: spec.http[0].fault.delay.fixedDelay", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deleting_a_file_removes_its_resources()
    {
        using var source = NewSource();
        await source.StartAsync(CancellationToken.None);
        var published = NextPublished(c => !c.Origin.Resources.Contains("VirtualService default/reviews"));

        File.Delete(Path.Combine(_directory.FullName, "reviews.yaml"));

        var config = await published.WaitAsync(Deadline);
        Assert.Equal("default", Assert.Single(ReviewsRoutes(config)).Name);
    }

    [Fact]
    public async Task An_editor_writing_a_temp_file_and_renaming_it_is_picked_up()
    {
        using var source = NewSource();
        await source.StartAsync(CancellationToken.None);
        var published = NextPublished(c => c.Origin.Resources.Contains("VirtualService default/ratings"));

        var temp = Path.Combine(_directory.FullName, ".ratings.yaml.tmp");
        await File.WriteAllTextAsync(temp, Bookinfo.RatingsDelayForJason);
        File.Move(temp, Path.Combine(_directory.FullName, "ratings.yaml"));

        var config = await published.WaitAsync(Deadline);
        var route = config.Table("9080").VirtualHost("ratings.default.svc.cluster.local:9080").Routes[0];
        Assert.Equal(TimeSpan.FromSeconds(7), route.Fault!.Delay!.FixedDelay);
    }

    [Fact]
    public async Task A_reload_with_the_same_content_does_not_republish()
    {
        using var source = NewSource();
        await source.StartAsync(CancellationToken.None);
        var version = _store.Current!.Version;

        Write("reviews.yaml", "# same rules, new comment\n" + Bookinfo.ReviewsJason);
        Assert.Empty(source.Reload());

        Assert.Equal(1, _store.PushCount);
        Assert.Equal(version, _store.Current!.Version);
    }

    [Fact]
    public async Task A_reload_that_changes_only_an_authorization_policy_is_published()
    {
        using var source = NewSource();
        await source.StartAsync(CancellationToken.None);
        var version = _store.Current!.Version;
        Assert.Empty(_store.Current.AuthorizationPolicies);

        Write("deny.yaml", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-admin, namespace: default}
            spec:
              action: DENY
              rules:
              - to:
                - operation: {paths: ["/admin"]}
            """);
        Assert.Empty(source.Reload());

        Assert.Equal(2, _store.PushCount);
        Assert.NotEqual(version, _store.Current!.Version);
        Assert.Single(_store.Current.AuthorizationPolicies);
    }

    [Fact]
    public async Task Kinds_the_sidecar_does_not_use_are_skipped_with_a_warning()
    {
        Write("k8s.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: reviews-v1}
            """);
        using var source = NewSource();
        await source.StartAsync(CancellationToken.None);

        Assert.NotNull(_store.Current);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("k8s.yaml:1: skipped Deployment reviews-v1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_directory_is_refused_without_failing_start()
    {
        var options = new FileConfigSourceOptions { Directory = Path.Combine(_directory.FullName, "missing"), Workload = TranslationFixture.Productpage };
        using var source = new FileConfigSource(options, _store, _logger, TimeProvider.System);
        await source.StartAsync(CancellationToken.None);

        Assert.Null(_store.Current);
        Assert.Equal(1, _store.RejectedCount);
        Assert.Contains("does not exist", _store.LastRejection!.Errors[0].Message);
        await source.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_outbound_traffic_policy_option_overrides_the_files()
    {
        var options = new FileConfigSourceOptions
        {
            Directory = _directory.FullName,
            Workload = TranslationFixture.Productpage,
            OutboundTrafficPolicy = OutboundTrafficPolicy.RegistryOnly,
        };
        using var source = new FileConfigSource(options, _store, _logger, TimeProvider.System);
        await source.StartAsync(CancellationToken.None);
        Assert.Equal(OutboundTrafficPolicy.RegistryOnly, _store.Current!.Mesh.OutboundTrafficPolicy);
    }

    private static List<string> ReviewsRouteHeaderValues(ProxyConfig config) =>
        ReviewsRoutes(config).SelectMany(r => r.Match.Headers).Select(h => h.Match?.Value ?? "").ToList();

    private FileConfigSource NewSource() =>
        new(new FileConfigSourceOptions { Directory = _directory.FullName, Workload = TranslationFixture.Productpage }, _store, _logger, TimeProvider.System);

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_directory.FullName, name), content);

    private Task<ProxyConfig> NextPublished(Func<ProxyConfig, bool> condition)
    {
        var published = new TaskCompletionSource<ProxyConfig>(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.Published += config =>
        {
            if (condition(config))
            {
                published.TrySetResult(config);
            }
        };
        return published.Task;
    }

    private static EquatableArray<RouteConfig> ReviewsRoutes(ProxyConfig config) =>
        config.Table("9080").VirtualHost($"{ReviewsHost}:9080").Routes;
}
