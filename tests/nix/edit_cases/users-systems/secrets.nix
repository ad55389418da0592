let
  keys = import ./keys.nix;
  users = [ keys.alice keys.bob ];
  systems = [ keys.web ];
  all = users ++ systems;
in {
  "db-password.age".publicKeys = all;
  "web-cert.age".publicKeys = users ++ [ keys.web ];
  "api-token.age".publicKeys = [ keys.alice ] ++ systems;
  "root.age".publicKeys = users;
}
