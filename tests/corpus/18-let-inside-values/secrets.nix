let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
in
{
  "cache-signing-key.age" =
    let
      builder = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID7KBu2MWDMPdVAG4Oz92CPgWI4B0KeTmi1QWGYwlI7v";
    in
    {
      publicKeys = [ alice builder ];
    };
  "ssh-ca.age".publicKeys =
    let yubi = "age1u899l2njt3u3wxtutzj9wn0v47rm5xv2s0la869dp377280xxeqs0cwln9"; in [ alice yubi ];
}
