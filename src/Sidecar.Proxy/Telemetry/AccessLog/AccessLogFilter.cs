using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Telemetry.Metrics;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// Evaluates a Telemetry access log filter over a finished request: any alternative whose comparisons all hold logs
/// it. A comparison on an absent attribute (a header not sent) does not hold, as a CEL error does not log.
/// </summary>
internal static class AccessLogFilter
{
    public static bool Matches(AccessLogFilterExpression filter, HttpContext context, RequestState state)
    {
        foreach (var alternative in filter.AnyOf)
        {
            var holds = true;
            foreach (var comparison in alternative)
            {
                if (!Holds(comparison, context, state))
                {
                    holds = false;
                    break;
                }
            }

            if (holds)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Holds(FilterComparison comparison, HttpContext context, RequestState state)
    {
        int order;
        if (comparison.Number is { } literal)
        {
            // response.code, the usual filter, compares without formatting the status.
            long value;
            if (comparison.Attribute.Source == MetricTagSource.ResponseCode)
            {
                value = context.Response.StatusCode;
            }
            else if (!long.TryParse(MetricTagEvaluator.Evaluate(comparison.Attribute, context, state), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                return false;
            }

            order = value.CompareTo(literal);
        }
        else
        {
            if (MetricTagEvaluator.Evaluate(comparison.Attribute, context, state) is not { } text)
            {
                return false;
            }

            order = string.CompareOrdinal(text, comparison.Literal);
        }

        return comparison.Operator switch
        {
            FilterOperator.Equal => order == 0,
            FilterOperator.NotEqual => order != 0,
            FilterOperator.Less => order < 0,
            FilterOperator.LessOrEqual => order <= 0,
            FilterOperator.Greater => order > 0,
            _ => order >= 0,
        };
    }
}
