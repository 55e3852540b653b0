// The city's blocks, many to a mesh: each vertex's first UV holds its
// block's slot in the palette (x), and the palette's texel there is the
// block's colour (sRGB, decoded by the texture) with its glow in alpha.
// Lighting is the standard material's. Forward pass only (src/view/city_palette.rs).
#import bevy_pbr::{
    pbr_fragment::pbr_input_from_standard_material,
    pbr_functions::{alpha_discard, apply_pbr_lighting, main_pass_post_lighting_processing},
    forward_io::{VertexOutput, FragmentOutput},
}

@group(#{MATERIAL_BIND_GROUP}) @binding(100) var palette: texture_2d<f32>;

// How strongly a glowing (alarming) block shines in its own colour.
const GLOW: f32 = 0.6;

@fragment
fn fragment(in: VertexOutput, @builtin(front_facing) is_front: bool) -> FragmentOutput {
    var pbr_input = pbr_input_from_standard_material(in, is_front);
#ifdef VERTEX_UVS_A
    let slot = u32(round(in.uv.x));
    let width = textureDimensions(palette).x;
    let texel = textureLoad(palette, vec2<u32>(slot % width, slot / width), 0);
    pbr_input.material.base_color = vec4<f32>(texel.rgb, 1.0);
    pbr_input.material.emissive = vec4<f32>(texel.rgb * texel.a * GLOW, 1.0);
#endif
    pbr_input.material.base_color = alpha_discard(pbr_input.material, pbr_input.material.base_color);
    var out: FragmentOutput;
    out.color = apply_pbr_lighting(pbr_input);
    out.color = main_pass_post_lighting_processing(pbr_input, out.color);
    return out;
}
