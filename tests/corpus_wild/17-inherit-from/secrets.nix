let
  keys = import ./keys.nix;
  inherit (keys) users hosts;
  inherit (builtins) attrValues;
in
{
  "team.age".publicKeys = attrValues { inherit (users) alice bob; };
  "web.age".publicKeys = attrValues { inherit (users) alice; } ++ [ hosts.web1 ];
}
