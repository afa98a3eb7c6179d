//! The production clock: the one place the application reads the time of day (the domain never
//! does; the simulator uses `embedded::VirtualClock`).

use chrono::{DateTime, Utc};

use crate::ports::Clock;

/// The real clock (`relais serve`, the Lambda functions).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
