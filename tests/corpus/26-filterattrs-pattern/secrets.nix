let
  users = {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
    bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRtHgfXVUMnEhx4eZdowINSMmh9e58JJWLpKRfxFH0I";
    carol = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZjJUxmg1vhLPzJ4xQQ8CXtpyuUKs5HyyevgDz1ZgJe";
    ci = "age1t8eutug34m78wvukfa4p55r90gz9afrjy28ypxv87jvq0373hqtsk2znrk";
  };
  filterAttrs = pred: set:
    builtins.listToAttrs (
      builtins.concatMap (name: if pred name set.${name} then [ { inherit name; value = set.${name}; } ] else [ ])
        (builtins.attrNames set)
    );
  humans = filterAttrs (name: key: builtins.substring 0 4 key == "ssh-") users;
in
{
  "humans.age".publicKeys = builtins.attrValues humans;
  "ci.age".publicKeys = [ users.ci ] ++ builtins.attrValues (builtins.removeAttrs humans [ "carol" ]);
}
