using System.Globalization;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>One sample of a Prometheus text exposition: name, labels in the order written, value.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, double Value)
{
    public string? this[string label] => Labels.FirstOrDefault(l => l.Key == label).Value;

    public bool Has(params (string Label, string Value)[] expected) => expected.All(e => this[e.Label] == e.Value);
}

/// <summary>Parses Prometheus' text format (0.0.4) as a scraper reads it.</summary>
internal static class PrometheusScrape
{
    public static async Task<List<PrometheusSample>> GetAsync(string url)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.GetAsync(url);
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
        return Parse(await response.Content.ReadAsStringAsync());
    }

    public static List<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var labels = new List<KeyValuePair<string, string>>();
            string name;
            string rest;
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            if (brace >= 0)
            {
                name = line[..brace];
                var i = brace + 1;
                while (line[i] != '}')
                {
                    var eq = line.IndexOf('=', i);
                    var key = line[i..eq];
                    var value = new System.Text.StringBuilder();
                    var j = eq + 2;
                    for (; line[j] != '"'; j++)
                    {
                        if (line[j] == '\\')
                        {
                            j++;
                        }

                        value.Append(line[j]);
                    }

                    labels.Add(new(key, value.ToString()));
                    i = j + 1;
                    if (line[i] == ',')
                    {
                        i++;
                    }
                }

                rest = line[(i + 1)..].Trim();
            }
            else
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                name = line[..space];
                rest = line[(space + 1)..].Trim();
            }

            var number = rest.Split(' ')[0];
            samples.Add(new PrometheusSample(name, labels, number switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                _ => double.Parse(number, CultureInfo.InvariantCulture),
            }));
        }

        return samples;
    }
}
