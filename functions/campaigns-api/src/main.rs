//! Lambda: campaigns API and set-up routes (JWT authorizer). API Gateway HTTP API (payload v2) -> the Relais HTTP router.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relais_lambda::init_tracing();
    let lambda = relais_lambda::LambdaApp::from_env().await?;
    lambda_http::run(relais_lambda::http_router(&lambda)).await
}
