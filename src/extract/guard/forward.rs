//! The forwarding the guard's wrappers share: every `deserialize_*` call
//! passed on with the visitor wrapped, every plain `visit_*` call made with
//! the guard's error type.

macro_rules! forward_deserialize {
    ($wrap:ident; $($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            #[inline]
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                self.de.$method($($arg,)* $wrap::new(visitor, self.ctx))
            }
        )*
    };
}

macro_rules! all_but_struct_and_ignored {
    ($wrap:ident) => {
        forward_deserialize! {
            $wrap;
            deserialize_any();
            deserialize_identifier();
        }
        all_but_struct_ignored_any_and_identifier!($wrap);
    };
}

macro_rules! all_but_struct_ignored_any_and_identifier {
    ($wrap:ident) => {
        forward_deserialize! {
            $wrap;
            deserialize_bool();
            deserialize_i8();
            deserialize_i16();
            deserialize_i32();
            deserialize_i64();
            deserialize_i128();
            deserialize_u8();
            deserialize_u16();
            deserialize_u32();
            deserialize_u64();
            deserialize_u128();
            deserialize_f32();
            deserialize_f64();
            deserialize_char();
            deserialize_str();
            deserialize_string();
            deserialize_bytes();
            deserialize_byte_buf();
            deserialize_option();
            deserialize_unit();
            deserialize_unit_struct(name: &'static str);
            deserialize_newtype_struct(name: &'static str);
            deserialize_seq();
            deserialize_tuple(len: usize);
            deserialize_tuple_struct(name: &'static str, len: usize);
            deserialize_map();
            deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        }
    };
}

/// Visits that carry a plain value: the wrapped visitor runs with the
/// guard's error type, whose raised errors are lowered on the way out.
macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {
        $(
            #[inline]
            fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                let ctx = self.ctx;
                self.visitor.$method::<DeError>(v).map_err(|e| ctx.lower(e))
            }
        )*
    };
}

macro_rules! forward_plain_visits {
    () => {
        forward_visit! {
            visit_bool(bool);
            visit_i8(i8);
            visit_i16(i16);
            visit_i32(i32);
            visit_i64(i64);
            visit_i128(i128);
            visit_u8(u8);
            visit_u16(u16);
            visit_u32(u32);
            visit_u64(u64);
            visit_u128(u128);
            visit_f32(f32);
            visit_f64(f64);
            visit_char(char);
            visit_bytes(&[u8]);
            visit_borrowed_bytes(&'de [u8]);
            visit_byte_buf(Vec<u8>);
        }

        #[inline]
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            let ctx = self.ctx;
            self.visitor
                .visit_none::<DeError>()
                .map_err(|e| ctx.lower(e))
        }

        #[inline]
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            let ctx = self.ctx;
            self.visitor
                .visit_unit::<DeError>()
                .map_err(|e| ctx.lower(e))
        }

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.visitor.expecting(f)
        }
    };
}
