"""Changes and watches over GraphQL: ``changes(scope, since, kinds)``, ``watches``, ``watch(id) { deliveries }``,
``createWatch``/``deleteWatch`` (behind an API key, each key sees its own) and the ``changes`` subscription."""
