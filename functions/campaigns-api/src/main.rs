//! Lambda: campaigns, approval, set-up, reads and the console (API Gateway HTTP API).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relais_lambda::init_tracing();
    let lambda = relais_lambda::roots::campaigns_api().await?;
    lambda_http::run(relais_lambda::campaigns_api_router(&lambda)).await
}
