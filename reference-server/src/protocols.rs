//! Every protocol the server speaks, in one list: which listener each
//! answers on and how it opens. Adding a protocol is its folder plus one
//! line here.

use crate::config::Config;
use crate::faults::Faults;
use crate::protocol::{Common, Listener, Registration};
use crate::store::Stores;
use crate::{ietf, s3, tus};

/// The protocols `config` turns on, over stores from `stores`. Protocols
/// that share a listener are asked in this order whether they claim a
/// request, so a protocol that tells its requests apart by a header comes
/// before the one that takes the rest.
pub(crate) fn registered<'a, St: Stores>(
    config: &'a Config,
    stores: &'a St,
) -> Vec<Registration<'a>> {
    let common = Common {
        idle_timeout: config.idle_timeout,
        faults: Faults::new(config.faults.iter().copied()),
    };
    let mut list = vec![
        // Before tus: it claims the requests naming a draft interop version.
        Registration::new(
            Listener::Tus,
            config.listen,
            ietf::open(&config.ietf, &config.tus.base_path, common, stores),
        ),
        Registration::new(
            Listener::Tus,
            config.listen,
            tus::open(&config.tus, common, stores),
        ),
    ];
    if let Some(s3) = &config.s3 {
        list.push(Registration::new(
            Listener::S3,
            s3.listen,
            s3::open(s3, common, stores),
        ));
    }
    list
}
