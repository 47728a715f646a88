//! Prints the merged OpenAPI document as JSON on stdout, for `scripts/lint-openapi` and for
//! anyone who wants the document without starting the API.

fn main() -> Result<(), api_docs::DocsError> {
    let document = api_docs::document()?;
    println!("{document:#}");
    Ok(())
}
