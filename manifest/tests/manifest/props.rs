//! Property tests for the small parsers: key → id, argv → caller, names.

use logout_lens_manifest::key::{extension_id_from_der, extension_id_from_key};
use logout_lens_manifest::{Browser, Caller, Os, Scope};
use proptest::prelude::*;

proptest! {
    #[test]
    fn key_parser_never_panics(s in ".{0,200}") {
        let _ = extension_id_from_key(&s);
    }

    #[test]
    fn ids_are_32_chars_a_to_p(der in proptest::collection::vec(any::<u8>(), 0..300)) {
        let id = extension_id_from_der(&der);
        prop_assert_eq!(id.len(), 32);
        prop_assert!(id.bytes().all(|b| (b'a'..=b'p').contains(&b)));
    }

    #[test]
    fn caller_parser_never_panics(args in proptest::collection::vec(".{0,60}", 0..4)) {
        if let Some(c) = Caller::from_args(&args) {
            // Only the fixed id may ever pass.
            if c.is_allowed() {
                let joined = args.join(" ");
                prop_assert!(joined.contains(logout_lens_manifest::EXTENSION_ID)
                    || joined.contains(logout_lens_manifest::FIREFOX_ADDON_ID));
            }
        }
    }

    #[test]
    fn name_parsers_never_panic(s in "\\PC{0,20}") {
        let _ = s.parse::<Browser>();
        let _ = s.parse::<Os>();
        let _ = s.parse::<Scope>();
    }
}
