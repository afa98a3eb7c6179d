//! Secret settings in AWS (SPEC 5.1): the function environment holds `ssm:<parameter name>`
//! for `RELAIS_WHATSAPP_TOKEN`, `RELAIS_WHATSAPP_APP_SECRET`, `RELAIS_WHATSAPP_VERIFY_TOKEN` and
//! `RELAIS_TWILIO_AUTH_TOKEN`; the value is read once per container from SSM Parameter Store
//! (SecureString, decrypted). A parameter that does not exist leaves the setting unset (that
//! provider is not configured). Values are never logged.

use std::collections::HashMap;

use aws_sdk_ssm::error::DisplayErrorContext;

/// The settings that hold secrets.
pub const SECRET_SETTINGS: [&str; 4] =
    ["RELAIS_WHATSAPP_TOKEN", "RELAIS_WHATSAPP_APP_SECRET", "RELAIS_WHATSAPP_VERIFY_TOKEN", "RELAIS_TWILIO_AUTH_TOKEN"];

/// The SSM parameter a setting refers to, if it does.
pub fn parameter_name(value: &str) -> Option<&str> {
    value.strip_prefix("ssm:").map(str::trim).filter(|name| !name.is_empty())
}

/// Resolve every `ssm:` secret setting of the environment; other settings pass through.
pub async fn resolve(sdk_config: &aws_config::SdkConfig) -> Result<HashMap<String, String>, String> {
    let mut resolved = HashMap::new();
    let mut client: Option<aws_sdk_ssm::Client> = None;
    for name in SECRET_SETTINGS {
        let Ok(value) = std::env::var(name) else { continue };
        let Some(parameter) = parameter_name(&value) else { continue };
        let ssm = client.get_or_insert_with(|| aws_sdk_ssm::Client::new(sdk_config));
        match ssm.get_parameter().name(parameter).with_decryption(true).send().await {
            Ok(out) => {
                if let Some(secret) = out.parameter().and_then(|p| p.value()) {
                    resolved.insert(name.to_string(), secret.to_string());
                }
            }
            Err(e) if e.as_service_error().is_some_and(|e| e.is_parameter_not_found()) => {
                tracing::warn!(setting = name, parameter, "secret parameter not found; setting left unset");
            }
            Err(e) => return Err(format!("{name}: reading its SSM parameter failed: {}", DisplayErrorContext(&e))),
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameter_names() {
        assert_eq!(super::parameter_name("ssm:/relais/whatsapp-token"), Some("/relais/whatsapp-token"));
        assert_eq!(super::parameter_name("EAAG..."), None);
        assert_eq!(super::parameter_name("ssm:"), None);
    }
}
