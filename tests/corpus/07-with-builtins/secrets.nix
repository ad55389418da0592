with builtins;
let
  keys = {
    frank = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDDdk4LoOnkpdbJm9mgGVQAD+jQ0rXQdubmf9MvZYtQI";
    ci = "age1t8eutug34m78wvukfa4p55r90gz9afrjy28ypxv87jvq0373hqtsk2znrk";
    builder = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID7KBu2MWDMPdVAG4Oz92CPgWI4B0KeTmi1QWGYwlI7v";
  };
  people = [ keys.frank ];
in
{
  "ci-token.age".publicKeys = people ++ [ keys.ci keys.builder ];
  "frank.age".publicKeys = filter (k: k != keys.ci) (attrValues keys);
  "count-${toString (length (attrNames keys))}.age".publicKeys = people;
}
