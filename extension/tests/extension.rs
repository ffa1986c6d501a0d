//! Drives the extension core the way the JS glue does (browser-shaped JSON
//! in, schema-v1 events out) through whole logout stories.

mod extension {
    mod support;

    mod hostile;
    mod inputs;
    mod scenarios;
    mod secrets;
    mod sites;
    mod ui;
}
