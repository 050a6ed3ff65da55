//! Registry addresses (insecure-registries entries) and mirror URLs: parse, normalise, compare.
