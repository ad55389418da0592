let
  keys = builtins.fromJSON (builtins.readFile ./keys.json);
  inherit (keys) alice host;
in
{
  "token.age".publicKeys = [ alice host ];
  "other.age".publicKeys = [
    alice
  ];
}
