using Sidecar.Bookinfo.Contracts;

namespace Sidecar.Bookinfo.Catalog;

/// <summary>
/// The sample's single book and its fixed data, as Istio's bookinfo hard-codes it (productpage.py getProducts,
/// details.rb get_book_details, LibertyRestEndpoint's review texts, ratings.js' default ratings).
/// </summary>
internal static class BookCatalog
{
    public const int ProductId = 0;

    public const string Reviewer1 = "Reviewer1";

    public const string Reviewer2 = "Reviewer2";

    public const string Reviewer1Text =
        "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!";

    public const string Reviewer2Text =
        "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.";

    public static readonly ReviewerRatings Ratings = new(Reviewer1: 5, Reviewer2: 4);

    public static readonly Product[] Products =
    [
        new(
            ProductId,
            "The Comedy of Errors",
            "<a href=\"https://en.wikipedia.org/wiki/The_Comedy_of_Errors\">Wikipedia Summary</a>: The Comedy of Errors "
            + "is one of <b>William Shakespeare's</b> early plays. It is his shortest and one of his most farcical "
            + "comedies, with a major part of the humour coming from slapstick and mistaken identity, in addition to "
            + "puns and word play."),
    ];

    public static BookDetails Details(int id) => new(
        id,
        Author: "William Shakespeare",
        Year: 1595,
        Type: "paperback",
        Pages: 200,
        Publisher: "PublisherA",
        Language: "English",
        Isbn10: "1234567890",
        Isbn13: "123-1234567890");
}
