let
  ops = "age18lgtcrpl9yfhs8xfdm4l6qvuqyezamv76rk3nr03ztj9hq7txyvshqjtn5";
  backup = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID7KBu2MWDMPdVAG4Oz92CPgWI4B0KeTmi1QWGYwlI7v";
in
builtins.listToAttrs (
  builtins.genList (i: {
    name = "backups/disk-${toString (i + 1)}.age";
    value.publicKeys = [ ops backup ];
  }) 4
)
