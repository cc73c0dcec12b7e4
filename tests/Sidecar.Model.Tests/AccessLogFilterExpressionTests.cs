using Sidecar.Model;

namespace Sidecar.Model.Tests;

/// <summary>The CEL forms Telemetry access log filters take (istio.io's "log only errors" examples and their kin).</summary>
public sealed class AccessLogFilterExpressionTests
{
    [Fact]
    public void A_comparison_with_a_number_parses_as_a_numeric_test()
    {
        var filter = AccessLogFilterExpression.Parse("response.code >= 400");

        var comparison = Assert.Single(Assert.Single(filter!.AnyOf));
        Assert.Equal(MetricTagSource.ResponseCode, comparison.Attribute.Source);
        Assert.Equal(FilterOperator.GreaterOrEqual, comparison.Operator);
        Assert.Equal("400", comparison.Literal);
        Assert.True(comparison.Numeric);
    }

    [Fact]
    public void Or_of_ands_with_parentheses_distributes_into_alternatives()
    {
        var filter = AccessLogFilterExpression.Parse("request.method == 'POST' && (response.code >= 500 || request.headers['x-debug'] == \"on\")");

        Assert.Equal(2, filter!.AnyOf.Count);
        Assert.All(filter.AnyOf, all => Assert.Equal(MetricTagSource.RequestMethod, all[0].Attribute.Source));
        Assert.Equal(MetricTagSource.RequestHeader, filter.AnyOf[1][1].Attribute.Source);
        Assert.Equal("x-debug", filter.AnyOf[1][1].Attribute.Argument);
        Assert.False(filter.AnyOf[1][1].Numeric);
    }

    [Theory]
    [InlineData("response.code >= 400 &&")]
    [InlineData("has(request.headers.foo)")]
    [InlineData("response.duration > duration('1s')")]
    [InlineData("response.code in [500, 503]")]
    public void Expressions_outside_the_subset_do_not_parse(string expression) =>
        Assert.Null(AccessLogFilterExpression.Parse(expression));
}
