let
  keys = import ./keys.nix { extra = [ ]; };
in
{
  "fn.age".publicKeys = keys.all;
}
