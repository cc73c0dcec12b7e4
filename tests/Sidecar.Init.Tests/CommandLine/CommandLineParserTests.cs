using Sidecar.Init.CommandLine;

namespace Sidecar.Init.Tests.CommandLine;

public sealed class CommandLineParserTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Theory]
    [InlineData("-p", "15001")]
    [InlineData("-p15001")]
    [InlineData("-p=15001")]
    [InlineData("--envoy-port", "15001")]
    [InlineData("--envoy-port=15001")]
    public void Values_are_read_in_every_pflag_spelling(params string[] args)
    {
        var parsed = CommandLineParser.Parse(args, NoEnvironment);

        Assert.Equal("15001", parsed.Text(IptablesFlags.EnvoyPort, "unset"));
    }

    [Fact]
    public void An_empty_value_is_a_value()
    {
        // The injector passes -x '' (no excluded CIDRs).
        var parsed = CommandLineParser.Parse(["-x", "", "-b", "*"], NoEnvironment);

        Assert.Equal(string.Empty, parsed.Text(IptablesFlags.ServiceExcludeCidr, "unset"));
        Assert.Equal("*", parsed.Text(IptablesFlags.InboundPorts, "unset"));
    }

    [Theory]
    [InlineData(new[] { "-n" }, true)]
    [InlineData(new[] { "--dry-run" }, true)]
    [InlineData(new[] { "--dry-run=false" }, false)]
    [InlineData(new[] { "--dry-run=1" }, true)]
    [InlineData(new string[0], false)]
    public void Switches_take_no_separate_value(string[] args, bool expected)
    {
        Assert.Equal(expected, CommandLineParser.Parse(args, NoEnvironment).Switch(IptablesFlags.DryRun));
    }

    [Fact]
    public void Environment_sets_a_flag_named_after_it_and_the_flag_wins()
    {
        var environment = new Dictionary<string, string> { ["ISTIO_INBOUND_PORTS"] = "8080", ["ISTIO_LOCAL_EXCLUDE_PORTS"] = "15020" };

        var fromEnvironment = CommandLineParser.Parse([], environment.GetValueOrDefault);
        var fromFlag = CommandLineParser.Parse(["-b", "9090"], environment.GetValueOrDefault);

        Assert.Equal("8080", fromEnvironment.Text(IptablesFlags.InboundPorts, "unset"));
        Assert.Equal("ISTIO_INBOUND_PORTS (for -b/--istio-inbound-ports)", fromEnvironment.Find(IptablesFlags.InboundPorts)!.Origin);
        Assert.Equal("9090", fromFlag.Text(IptablesFlags.InboundPorts, "unset"));
        Assert.Equal("15020", fromFlag.Text(IptablesFlags.LocalExcludePorts, "unset"));
    }

    [Fact]
    public void Istio_compatibility_variables_set_their_switches()
    {
        // flag.AdditionalEnv: ISTIO_META_DNS_CAPTURE, ISTIO_DUAL_STACK, INVALID_DROP (read after the derived names).
        var environment = new Dictionary<string, string>
        {
            ["REDIRECT_DNS"] = "false",
            ["ISTIO_META_DNS_CAPTURE"] = "true",
            ["ISTIO_DUAL_STACK"] = "true",
            ["INVALID_DROP"] = "true",
        };

        var parsed = CommandLineParser.Parse([], environment.GetValueOrDefault);

        Assert.True(parsed.Switch(IptablesFlags.RedirectDns));
        Assert.True(parsed.Switch(IptablesFlags.DualStack));
        Assert.True(parsed.Switch(IptablesFlags.DropInvalid));
    }

    [Fact]
    public void The_envoy_port_has_no_environment_variable()
    {
        // istio-iptables binds -p with flag.Bind, not BindEnv.
        var parsed = CommandLineParser.Parse([], new Dictionary<string, string> { ["ENVOY_PORT"] = "16001" }.GetValueOrDefault);

        Assert.Null(parsed.Find(IptablesFlags.EnvoyPort));
    }

    [Fact]
    public void The_cleanup_word_asks_for_cleanup()
    {
        Assert.True(CommandLineParser.Parse(["cleanup", "-p", "15001"], NoEnvironment).CleanupCommand);
    }

    [Theory]
    [InlineData("unknown flag: --bogus", "--bogus")]
    [InlineData("unknown shorthand flag: 'y' in -y", "-y")]
    [InlineData("flag needs an argument: -p/--envoy-port", "-p")]
    [InlineData("flag needs an argument: -b/--istio-inbound-ports", "--istio-inbound-ports")]
    [InlineData("switch -n/--dry-run does not take a value: -ntrue", "-ntrue")]
    [InlineData("unexpected argument \"install\" (the only command is \"cleanup\")", "install")]
    public void Bad_arguments_are_refused_naming_them(string message, string arg)
    {
        var error = Assert.Throws<OptionException>(() => CommandLineParser.Parse([arg], NoEnvironment));

        Assert.Equal(message, error.Message);
    }
}
