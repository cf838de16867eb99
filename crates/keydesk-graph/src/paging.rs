//! Collections: pages, `@odata.nextLink` following as a `Stream`, and `collect_all`.
//!
//! Next links are followed verbatim (they are absolute URLs with an opaque `$skiptoken`),
//! with the same extra headers as the first request (`ConsistencyLevel` must stay). A next link
//! that repeats the previous one ends the stream with an error instead of looping forever.

use futures::{Stream, StreamExt, TryStreamExt};
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::GraphClient;
use crate::error::{Error, Result};
use crate::odata::Query;
use crate::request::GraphRequest;

/// One page of a collection.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// Absolute URL of the next page.
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    /// `@odata.count` when `$count=true` was asked for.
    #[serde(rename = "@odata.count", default)]
    pub count: Option<u64>,
}

impl GraphClient {
    /// Streams every item of a collection, following next links until there are none.
    pub fn list<T>(&self, path_and_query: &str) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.list_request(GraphRequest::get(path_and_query))
    }

    /// [`GraphClient::list`] with a [`Query`]; adds `ConsistencyLevel: eventual` when the
    /// query needs it.
    pub fn list_query<T>(
        &self,
        path: &str,
        query: &Query,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let mut request = GraphRequest::get(&query.apply_to(path));
        if query.needs_eventual_consistency() {
            request = request.eventual_consistency();
        }
        self.list_request(request)
    }

    /// [`GraphClient::list`] starting from an arbitrary first request (custom headers).
    pub fn list_request<T>(
        &self,
        first: GraphRequest,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let client = self.clone();
        let pages =
            futures::stream::try_unfold(PagingState::Next(Box::new(first), None), move |state| {
                let client = client.clone();
                async move {
                    let PagingState::Next(request, previous_link) = state else {
                        return Ok(None);
                    };
                    let headers = request.extra_headers().to_vec();
                    let page: Page<T> = client.send(*request).await?.json()?;
                    let next = match page.next_link {
                        None => PagingState::Done,
                        Some(link) if previous_link.as_deref() == Some(link.as_str()) => {
                            return Err(Error::UnexpectedResponse(format!(
                                "next link repeats itself: {link}"
                            )));
                        }
                        Some(link) => {
                            let url = Url::parse(&link).map_err(|error| {
                                Error::UnexpectedResponse(format!(
                                    "bad next link {link:?}: {error}"
                                ))
                            })?;
                            PagingState::Next(
                                Box::new(
                                    GraphRequest::absolute(Method::GET, url).with_headers(&headers),
                                ),
                                Some(link),
                            )
                        }
                    };
                    Ok(Some((page.value, next)))
                }
            });
        pages
            .map_ok(|items| futures::stream::iter(items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Collects every item of a collection.
    pub async fn collect_all<T>(&self, path_and_query: &str) -> Result<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.list(path_and_query).try_collect().await
    }

    /// Collects every item of a collection queried with a [`Query`].
    pub async fn collect_query<T>(&self, path: &str, query: &Query) -> Result<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.list_query(path, query).try_collect().await
    }

    /// Collects at most `limit` items (stops fetching pages once reached).
    pub async fn collect_limited<T>(
        &self,
        path: &str,
        query: &Query,
        limit: usize,
    ) -> Result<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.list_query(path, query).take(limit).try_collect().await
    }

    /// Fetches a single page (no next-link following).
    pub async fn get_page<T: DeserializeOwned>(&self, request: GraphRequest) -> Result<Page<T>> {
        self.send(request).await?.json()
    }
}

enum PagingState {
    Next(Box<GraphRequest>, Option<String>),
    Done,
}
