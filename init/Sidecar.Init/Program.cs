using Sidecar.Init;

return CaptureCommand.Run(args, Environment.GetEnvironmentVariable, Console.Out, Console.Error, TimeProvider.System);
