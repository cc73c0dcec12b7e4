namespace Sidecar.Init.CommandLine;

/// <summary>A flag or environment variable is unknown, missing its value, or has a value the program cannot use.</summary>
internal sealed class OptionException : Exception
{
    public OptionException(string message)
        : base(message)
    {
    }

    public OptionException()
    {
    }

    public OptionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static OptionException Invalid(OptionValue value, string reason) =>
        new($"invalid value \"{value.Text}\" for {value.Origin}: {reason}");
}
