let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  note = ''
    This file is '''quoted''' and costs ''${"$"}5.
      Indented line.
  '';
in
{
  "notes.age".publicKeys = [ alice ];
  "escape\"d.age".publicKeys = [ alice ];
  "tab\tname.age".publicKeys = if builtins.stringLength note > 10 then [ alice ] else [ ];
}
