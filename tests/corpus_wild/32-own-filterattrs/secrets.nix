let
  filterAttrs = pred: set: builtins.listToAttrs (
    map (name: { inherit name; value = set.${name}; })
      (builtins.filter (name: pred name set.${name}) (builtins.attrNames set))
  );
  admin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
  all = {
    "keep.age" = { publicKeys = [ admin ]; enable = true; };
    "drop.age" = { publicKeys = [ admin ]; enable = false; };
  };
in
builtins.mapAttrs (_: v: { inherit (v) publicKeys; }) (filterAttrs (_: v: v.enable) all)
