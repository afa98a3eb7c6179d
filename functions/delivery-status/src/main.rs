//! Lambda: WhatsApp and Twilio callbacks (API Gateway HTTP API, provider signatures).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relais_lambda::init_tracing();
    let lambda = relais_lambda::roots::delivery_status().await?;
    lambda_http::run(relais_lambda::delivery_status_router(&lambda)).await
}
