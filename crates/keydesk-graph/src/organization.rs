//! The tenant (`organization`) and its licences (`subscribedSkus`), used by `doctor`.

use crate::client::GraphClient;
use crate::error::{Error, Result};
use crate::model::{Organization, SubscribedSku};

impl GraphClient {
    /// `GET organization` (a one-item collection).
    pub async fn organization(&self) -> Result<Organization> {
        let organizations: Vec<Organization> = self.collect_all("organization").await?;
        organizations
            .into_iter()
            .next()
            .ok_or_else(|| Error::UnexpectedResponse("organization returned no tenant".to_owned()))
    }

    /// `GET subscribedSkus`.
    pub async fn subscribed_skus(&self) -> Result<Vec<SubscribedSku>> {
        self.collect_all("subscribedSkus").await
    }
}
