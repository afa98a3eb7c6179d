//! Operator actions on reservations: the custom yes/no fields the `custom_field` condition
//! reads, set from the console (`PATCH /reservations/{id}/custom-fields`) or a scenario.

use relais_domain::validate::parse_custom_fields;
use serde_json::Value;

use crate::App;
use crate::campaigns::{Actor, ServiceError, ServiceResult};
use crate::ports::{ReservationChanged, ReservationEvent, ReservationRecord, StoreError};

const WRITE_ATTEMPTS: usize = 5;

/// A reservation of one of the properties the actor may see; `property_id` disambiguates an id
/// two properties use. Anything else (another account's, unknown) is "not found".
pub async fn find_visible(
    app: &App,
    actor: &Actor,
    reservation_id: &str,
    property_id: Option<&str>,
) -> ServiceResult<ReservationRecord> {
    let properties = app.store.list_properties(&actor.account_id).await?;
    for property in properties
        .iter()
        .filter(|p| actor.user.may_see_property(&p.id))
        .filter(|p| property_id.is_none_or(|wanted| wanted == p.id))
    {
        if let Some(record) = app.store.get_reservation(&property.id, reservation_id).await? {
            return Ok(record);
        }
    }
    Err(ServiceError::NotFound("reservation".into()))
}

/// Set operator custom fields (editor and up). Each actual change goes on the reservation's
/// timeline; then the reservation counts as changed, so that its pending messages are
/// re-checked at once (the evaluator hears it on the event bus, as after a PMS update).
pub async fn set_custom_fields(
    app: &App,
    actor: &Actor,
    reservation_id: &str,
    property_id: Option<&str>,
    body: &Value,
) -> ServiceResult<ReservationRecord> {
    if !actor.user.role.can_edit() {
        return Err(ServiceError::Forbidden("your role may not change reservations (editor or above)".into()));
    }
    let changes = parse_custom_fields(body).map_err(ServiceError::Invalid)?;
    let mut property_id = property_id.map(str::to_string);
    for _ in 0..WRITE_ATTEMPTS {
        let mut record = find_visible(app, actor, reservation_id, property_id.as_deref()).await?;
        property_id = Some(record.reservation.property_id.clone());
        let now = app.clock.now();
        let mut changed = false;
        for (key, value) in &changes {
            if record.operator_custom_fields.get(key).copied() == *value {
                continue;
            }
            match value {
                Some(v) => record.operator_custom_fields.insert(key.clone(), *v),
                None => record.operator_custom_fields.remove(key),
            };
            record.events.push(ReservationEvent::CustomField {
                at: now,
                by: actor.user.id.clone(),
                key: key.clone(),
                value: *value,
            });
            changed = true;
        }
        if !changed {
            return Ok(record);
        }
        let expected = record.version;
        record.version += 1;
        match app.store.put_reservation(&record, Some(expected)).await {
            Ok(()) => {
                let event = ReservationChanged {
                    property_id: record.reservation.property_id.clone(),
                    reservation_id: record.reservation.id.clone(),
                    at: now,
                    transition: None,
                };
                app.bus.publish(&event).await.map_err(ServiceError::Unavailable)?;
                tracing::info!(reservation_id = %record.reservation.id, user_id = %actor.user.id, "custom fields set");
                return Ok(record);
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ServiceError::Conflict("the reservation keeps changing; try again".into()))
}
