//! Shell-style files holding DOCKER_OPTS="..." or OPTIONS='...': find and edit the registry flags
//! inside the quoted value, keeping every other byte.
