//! The embedded reference mock of Stripe's invoice API. Entry points: [`spawn`] (in-process, on
//! an ephemeral loopback port) and [`serve`] (the `apiparity mock` command).
