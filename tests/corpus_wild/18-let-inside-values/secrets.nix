{
  "a.age" =
    let
      ops = "age1u5axmstarjg66m9z58fge4ws7vd4tkv2tsz540l4w6w6z0qwj43sd8g8mm";
    in
    {
      publicKeys = [ ops ];
    };
  "b.age".publicKeys =
    let
      both = [
        "age1gwgz6wu0hp7kaxh2v7gnt79elvzf6zxff4n4y35lhqgmcf67fehs47fuwd"
        "age16a3garxqtxnr2elf8ljedcm3mnadh76qcv0twarzy0msukvd2qcswq40gw"
      ];
    in
    both;
}
