using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Sidecar.Bookinfo.Contracts;

namespace Sidecar.Bookinfo.Roles;

/// <summary>
/// The product page's HTML: plain markup with the same content as productpage.html (details, reviews, stars in the
/// reviews version's colour) and a line naming the reviews workload that answered, which is what the weighted-routing
/// demo watches.
/// </summary>
internal static class ProductPageHtml
{
    private const int MaxStars = 5;

    public const string Index =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Simple Bookstore App</title></head>\n<body>\n"
        + "<h1>Hello! This is a simple bookstore application consisting of three services as shown below</h1>\n"
        + "<p>productpage calls details and reviews; reviews v2 and v3 call ratings.</p>\n"
        + "<p><a href=\"/productpage?u=normal\">Normal user</a> | <a href=\"/productpage?u=test\">Test user</a></p>\n"
        + "</body></html>\n";

    public static string Render(
        Product product,
        BookDetails? details,
        string? detailsError,
        BookReviews? reviews,
        string? reviewsError,
        string? reviewsWorkload,
        string? user)
    {
        ArgumentNullException.ThrowIfNull(product);
        var html = HtmlEncoder.Default;
        var page = new StringBuilder(2048);
        page.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Simple Bookstore App</title></head>\n<body>\n");
        page.Append("<nav><b>BookInfo Sample</b> ");
        if (string.IsNullOrEmpty(user))
        {
            page.Append("<form method=\"post\" action=\"/login\" style=\"display:inline\"><input name=\"username\" placeholder=\"User Name\"> <button>Sign in</button></form>");
        }
        else
        {
            page.Append("<span>").Append(html.Encode(user)).Append("</span> <a href=\"/logout\">sign out</a>");
        }

        page.Append("</nav>\n<h1>").Append(html.Encode(product.Title)).Append("</h1>\n");
        page.Append("<p>").Append(product.DescriptionHtml).Append("</p>\n"); // trusted catalog HTML, as productpage renders it

        page.Append("<h2>Book Details</h2>\n");
        if (details is not null)
        {
            page.Append("<dl>\n");
            AppendTerm(page, html, "Type:", details.Type);
            AppendTerm(page, html, "Pages:", details.Pages.ToString(CultureInfo.InvariantCulture));
            AppendTerm(page, html, "Publisher:", details.Publisher);
            AppendTerm(page, html, "Language:", details.Language);
            AppendTerm(page, html, "ISBN-10:", details.Isbn10);
            AppendTerm(page, html, "ISBN-13:", details.Isbn13);
            page.Append("</dl>\n");
        }
        else
        {
            page.Append("<p class=\"error\">").Append(html.Encode(detailsError ?? string.Empty)).Append("</p>\n");
        }

        page.Append("<h2>Book Reviews</h2>\n");
        if (reviews is not null)
        {
            page.Append("<p>Reviews served by: <b id=\"reviews-workload\">")
                .Append(html.Encode(reviewsWorkload ?? "unknown"))
                .Append("</b></p>\n");
            foreach (var review in reviews.Reviews)
            {
                page.Append("<blockquote><p>").Append(html.Encode(review.Text)).Append("</p><small>")
                    .Append(html.Encode(review.Reviewer)).Append("</small>");
                AppendRating(page, html, review.Rating);
                page.Append("</blockquote>\n");
            }
        }
        else
        {
            page.Append("<p class=\"error\">").Append(html.Encode(reviewsError ?? string.Empty)).Append("</p>\n");
        }

        page.Append("</body></html>\n");
        return page.ToString();
    }

    private static void AppendTerm(StringBuilder page, HtmlEncoder html, string term, string value) =>
        page.Append("<dt>").Append(term).Append("</dt><dd>").Append(html.Encode(value)).Append("</dd>\n");

    private static void AppendRating(StringBuilder page, HtmlEncoder html, ReviewRating? rating)
    {
        if (rating is null)
        {
            return;
        }

        if (rating.Stars is { } stars)
        {
            var filled = Math.Clamp(stars, 0, MaxStars);
            page.Append(" <span class=\"stars\" style=\"color:").Append(html.Encode(rating.Color ?? "black")).Append("\">")
                .Append('\u2605', filled).Append('\u2606', MaxStars - filled).Append("</span>");
        }
        else
        {
            page.Append(" <span class=\"error\">").Append(html.Encode(rating.Error ?? string.Empty)).Append("</span>");
        }
    }
}
